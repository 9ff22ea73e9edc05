# A service: two instances of the ticker module, each printing a line every
# two seconds until the job is stopped.
job "ticker" {
  type        = "service"
  datacenters = ["dc1"]

  group "tickers" {
    count = 2

    restart {
      attempts = 3
      interval = "10m"
      delay    = "5s"
      mode     = "delay"
    }

    task "ticker" {
      driver = "wasm"

      config {
        module = "examples/wasm/ticker.wasm"
      }

      env {
        TICKER_NAME = "ticker"
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
