"""The city-level 12345 platform (市级平台): signed transfers in, status updates out (docs/city-platform.md)."""
