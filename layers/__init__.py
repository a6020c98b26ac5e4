"""Map layers: stored workspace layers and indicator gap layers as GeoJSON with style and legend.

Everything leaves this package in EPSG:4326 (what Leaflet and GeoJSON expect).  Imports flow
``api -> layers -> gis``: nothing here imports Flask.
"""

from layers.catalog import LayerInfo, build_catalog, layer_frame
from layers.geojson import FeaturePage, to_feature_collection
from layers.simplify import simplify_tolerance_deg
from layers.style import LayerStyle, style_for

__all__ = [
    "FeaturePage",
    "LayerInfo",
    "LayerStyle",
    "build_catalog",
    "layer_frame",
    "simplify_tolerance_deg",
    "style_for",
    "to_feature_collection",
]
