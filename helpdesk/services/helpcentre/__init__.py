"""The help centre's articles."""
