"""A JSON Schema validator for check-jsonschema (`--validator-class schema_validator:Validator`)
whose `multipleOf` is exact for decimal numbers, as in the YAML language server.

Python's jsonschema divides floats: 19.99 / 0.01 is 1998.9999999999998, so `multipleOf: 0.01`
refuses about one amount in nine. Here the number is taken as written (its shortest repr, which
is what the YAML file says) and the remainder computed in decimal.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators


def _multiple_of(validator: Any, step: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "number"):
        return
    if Decimal(repr(instance)) % Decimal(repr(step)) != 0:
        yield ValidationError(f"{instance!r} is not a multiple of {step}")


Validator = validators.extend(Draft202012Validator, {"multipleOf": _multiple_of})
