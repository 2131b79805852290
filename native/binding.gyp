{
  "targets": [
    {
      "target_name": "keel_net",
      "sources": ["keel_net.c"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    }
  ]
}
