"""Layer schemas: what each layer's annotations may contain. See ``models`` and ``loading``."""

from layerkit.schema.loading import load_schemas, read_schema_file
from layerkit.schema.models import Attribute, Label, LayerExtension, LayerSchema, SchemaField
from layerkit.schema.registry import SchemaRegistry

__all__ = [
    "Attribute",
    "Label",
    "LayerExtension",
    "LayerSchema",
    "SchemaField",
    "SchemaRegistry",
    "load_schemas",
    "read_schema_file",
]
