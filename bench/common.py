"""What the benchmarks share: the command line (-c odoo.conf -d database) and a p50 / p99 of timings."""

import argparse
import statistics

import odoo
from odoo.modules.registry import Registry
from odoo.tools import config


def open_registry(description, add_arguments=None):
    """Parse ``-c CONF -d DB`` (and the benchmark's own options); return (registry, options)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    if add_arguments:
        add_arguments(parser)
    options = parser.parse_args()
    config.parse_config(["-c", options.config, "-d", options.database])
    odoo.service.server.load_server_wide_modules()
    return Registry(options.database), options


def percentiles_ms(seconds):
    """p50 and p99 of timings in seconds, in milliseconds."""
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000
