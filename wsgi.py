from leadapp import create_app

app = create_app()
