-- Warehouse database: schemas and least-privilege roles.
-- Run by psql as the administrator, on the warehouse database, with the variables
--   loader_user, loader_password, transformer_user, transformer_password,
--   reader_user, reader_password, state_user, state_password
-- Used alike by `python -m infinit.localdb up`, the docker-compose init script and
-- operators of real servers (see README "Real databases"). Safe to run again.
\set ON_ERROR_STOP on

select format('create role %I login', :'loader_user')
where not exists (select from pg_roles where rolname = :'loader_user') \gexec
select format('create role %I login', :'transformer_user')
where not exists (select from pg_roles where rolname = :'transformer_user') \gexec
select format('create role %I login', :'reader_user')
where not exists (select from pg_roles where rolname = :'reader_user') \gexec
select format('create role %I login', :'state_user')
where not exists (select from pg_roles where rolname = :'state_user') \gexec

alter role :"loader_user" with login password :'loader_password';
alter role :"transformer_user" with login password :'transformer_password';
alter role :"reader_user" with login password :'reader_password';
alter role :"state_user" with login password :'state_password';

-- Nobody but the owners creates objects in public.
revoke create on schema public from public;
select format('grant connect on database %I to %I, %I, %I, %I', current_database(),
              :'loader_user', :'transformer_user', :'reader_user', :'state_user') \gexec

-- meltano: Meltano's system database (runs, state, bookmarks) for stateless runners
-- (docker, prod: MELTANO_DATABASE_URI). Owned by its own role, which sees nothing else.
create schema if not exists meltano authorization :"state_user";
alter schema meltano owner to :"state_user";

-- raw: the landing zone, owned and written by the loader only.
create schema if not exists raw authorization :"loader_user";
alter schema raw owner to :"loader_user";
grant usage on schema raw to :"transformer_user";
grant select on all tables in schema raw to :"transformer_user";
alter default privileges for role :"loader_user" in schema raw
    grant select on tables to :"transformer_user";

-- dbt may create a schema of its own (e.g. stored test failures).
select format('grant create on database %I to %I', current_database(), :'transformer_user') \gexec

-- dbt's schemas: owned by the transformer. The reader sees marts and reports only.
create schema if not exists staging authorization :"transformer_user";
create schema if not exists marts authorization :"transformer_user";
create schema if not exists reports authorization :"transformer_user";
alter schema staging owner to :"transformer_user";
alter schema marts owner to :"transformer_user";
alter schema reports owner to :"transformer_user";
grant usage on schema marts, reports to :"reader_user";
grant select on all tables in schema marts, reports to :"reader_user";
alter default privileges for role :"transformer_user" in schema marts, reports
    grant select on tables to :"reader_user";
-- the reader never sees raw or staging (client emails live there).
revoke all on schema raw, staging from :"reader_user";
revoke all on schema meltano from :"reader_user";

-- delivery: the log of the monthly report e-mails (report/src/infinit_report/delivery.py),
-- so a re-run never mails a month twice. Owned by the administrator; the reader may read it
-- and append to it, nothing more: no UPDATE, DELETE or TRUNCATE, so the log is append-only
-- and its history cannot be rewritten by the reports. At most one 'sent' row per month.
create schema if not exists delivery;
create table if not exists delivery.report_deliveries (
    month date not null,
    event text not null check (event in ('attempt', 'sent', 'failed')),
    recorded_at timestamptz not null default now(),
    recipients text not null,
    detail text
);
create unique index if not exists report_deliveries_sent_once
    on delivery.report_deliveries (month) where event = 'sent';
revoke all on schema delivery from public;
revoke all on delivery.report_deliveries from public;
grant usage on schema delivery to :"reader_user";
grant select, insert on delivery.report_deliveries to :"reader_user";
