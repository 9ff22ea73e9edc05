# Limits demo: the hog module allocates memory without end. The store's
# memory limit (config.memory_mb; without it, the memory resource) refuses
# its growth at 48 MiB and the task ends with "wasm task hit its memory
# limit of 48 MiB ...: raise config.memory_mb or the task's memory resource".
job "hog" {
  type        = "batch"
  datacenters = ["dc1"]

  group "hog" {
    restart {
      attempts = 0
      mode     = "fail"
    }

    constraint {
      attribute = "${attr.kernel.name}"
      operator  = "="
      value     = "linux"
    }

    task "hog" {
      driver = "wasm"

      config {
        module    = "examples/wasm/hog.wasm"
        memory_mb = 48
        timeout   = "30s"
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
