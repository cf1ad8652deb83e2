from cyps_xl.cli import run

run()
