from tap_csv.tap import TapCSV

TapCSV.cli()
