"""The stream process's entry point: ``python -m adapters.ccxt.stream_process`` (started by ``StreamProcess``)."""

from adapters.ccxt.stream_process import main

main()
