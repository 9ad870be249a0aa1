"""Industry indicators (产业指标) as use cases: load the indicator file, enter or import figures per
period (who and when kept), compute the platform's own figures, and the overview and XLSX export the
public and officer pages show."""

from suanli.services.indicators.figures import (
           MAX_SHEET_BYTES,
           enter_figure,
           import_figures,
           load_indicator_file,
)
from suanli.services.indicators.overview import (
           IndicatorView,
           export_xlsx,
           load_demo_indicators,
           overview,
           platform_value,
)

__all__ = ["MAX_SHEET_BYTES", "IndicatorView", "enter_figure", "export_xlsx", "import_figures", "load_demo_indicators",
           "load_indicator_file", "overview", "platform_value"]
