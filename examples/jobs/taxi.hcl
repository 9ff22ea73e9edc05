# A batch job doing real work on real data: the taxi module reads NAB's NYC
# taxi series (passengers per 30 minutes, July 2014 to January 2015) from a
# read-only mount and prints per-day totals and the busiest hours.
#
# Paths are taken from the agent's working directory: run the agent from
# the repository root after `make examples`.
job "taxi" {
  type        = "batch"
  datacenters = ["dc1"]

  group "report" {
    count = 1

    restart {
      attempts = 2
      interval = "5m"
      delay    = "5s"
      mode     = "fail"
    }

    task "taxi" {
      driver = "wasm"

      config {
        module = "examples/wasm/taxi.wasm"
        args   = ["/data/nyc_taxi.csv"]
        mounts = [{ host = "../shared/data/nab/data/realKnownCause", guest = "/data", readonly = true }]

        # A run uses about 2e8 units of fuel and well under a second:
        # both limits leave ample room.
        fuel    = 50000000000
        timeout = "60s"
      }

      resources {
        cpu    = 200
        memory = 64
      }
    }
  }
}
