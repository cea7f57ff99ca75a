"""The device-placement rules (TNP3xx), the fix two of them share, and where a device is written."""
