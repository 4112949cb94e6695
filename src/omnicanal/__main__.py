from omnicanal.cli.main import app

app()
