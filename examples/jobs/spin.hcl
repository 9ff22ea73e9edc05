# Limits demo: the spin module loops forever. Its fuel budget ends it after
# 2e9 instructions with "wasm task ran out of fuel after 2000000000 units:
# raise config.fuel"; remove fuel and the 10s timeout ends it instead.
job "spin" {
  type        = "batch"
  datacenters = ["dc1"]

  group "spin" {
    restart {
      attempts = 0
      mode     = "fail"
    }

    task "spin" {
      driver = "wasm"

      config {
        module  = "examples/wasm/spin.wasm"
        fuel    = 2000000000
        timeout = "10s"
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
