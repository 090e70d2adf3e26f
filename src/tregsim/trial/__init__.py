"""In-silico trials: endpoints' statistics (this package grows into `tregsim trial`, issue 10)."""
