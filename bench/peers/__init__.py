"""The peers the project is measured against. They run in bench/.venv, never in the project's venv."""
