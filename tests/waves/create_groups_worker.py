"""A separate process creating ``COUNT`` groups named ``PREFIX NNN`` through the hook (for the concurrency tests)."""

import sys

from airflow_provider_zoom.group_spec import validate_group_spec
from airflow_provider_zoom.hooks.zoom import ZoomHook

prefix, count = sys.argv[1], int(sys.argv[2])
hook = ZoomHook()
for i in range(count):
    hook.create_im_group(validate_group_spec(f"{prefix} {i:03d}"))
print(f"{prefix}: {count} groups ensured")
