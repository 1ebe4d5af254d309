"""The fasting tracker's dashboard-history API (``specs/fasting.yaml``): its pure core."""
