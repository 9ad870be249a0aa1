"""An integer of a request body (an amount in fen, a count, a budget, an id) is a JSON number: "100"
is a 422, not quietly read as 100 (Pydantic's lax mode would), so a client that sends the amount as
text learns it at once instead of depending on a coercion. Dates and times still come as ISO text."""

from __future__ import annotations

import importlib
import pkgutil
import types
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel, ValidationError

from suanli.api import routers, schemas


def _bodies() -> list[type[BaseModel]]:
    modules = [schemas] + [importlib.import_module(f"{routers.__name__}.{info.name}")
                           for info in pkgutil.iter_modules(routers.__path__)]
    return [model for module in modules for name, model in vars(module).items()
            if isinstance(model, type) and issubclass(model, BaseModel) and name.endswith("In")
            and model.__module__ == module.__name__]


def _as_text(annotation: Any) -> Any:
    """A string where the field takes an integer ("1", or {"k": "1"} for a map of integers), else None."""
    if get_origin(annotation) is Annotated:
        return _as_text(get_args(annotation)[0])
    if annotation is int:
        return "1"
    if get_origin(annotation) in (Union, types.UnionType):
        return next((v for v in map(_as_text, get_args(annotation)) if v is not None), None)
    if get_origin(annotation) is dict and _as_text(get_args(annotation)[1]) == "1":
        return {"k": "1"}
    return None


INTEGER_FIELDS = [(model, name, text) for model in _bodies() for name, info in model.model_fields.items()
                  if (text := _as_text(info.annotation)) is not None]


def test_the_bodies_have_integer_fields_of_money_and_counts() -> None:
    names = {name for _, name, _ in INTEGER_FIELDS}
    assert {"amount_fen", "price_fen", "quantity", "requested_fen", "max_price_fen", "devices", "bases"} <= names


@pytest.mark.parametrize(("model", "name", "text"), INTEGER_FIELDS,
                         ids=[f"{m.__module__.rsplit('.', 1)[1]}.{m.__name__}.{n}" for m, n, _ in INTEGER_FIELDS])
def test_an_integer_field_refuses_a_number_written_as_text(model: type[BaseModel], name: str, text: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate({name: text})
    assert any(e["loc"][0] == name and e["type"] == "int_type" for e in refused.value.errors()), refused.value


def test_dates_and_times_still_come_as_iso_text() -> None:
    from suanli.api.routers.awards import FactIn

    fact = FactIn.model_validate({"key": "employees", "value": "12", "source": "社保", "as_of": "2026-06-30"})
    assert fact.as_of.isoformat() == "2026-06-30"
