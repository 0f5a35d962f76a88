"""Apache Airflow provider for Zoom IM directory groups."""

__version__ = "0.1.0"
