"""The dream studio: a local web page over the same engine and sampler as the CLI.

`dreamgan serve` starts it (`studio.server.run_server`); `studio.app.create_app` builds the
FastAPI app. Imported lazily, so the rest of the CLI never pays for FastAPI.
"""


def __getattr__(name):
    if name == "create_app":
        from dreamgan.studio.app import create_app

        return create_app
    raise AttributeError(name)
