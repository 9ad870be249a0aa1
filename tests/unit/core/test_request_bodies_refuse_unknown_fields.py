"""Every request body of the API refuses a field it does not know (a misspelt `amount_fen` must be a
422, not an order for the default): each `...In` model of the routers forbids extra fields (FastAPI
turns the refusal into the 422 problem every endpoint answers for a bad body)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from pydantic import BaseModel, ValidationError

from suanli.api import routers


def _bodies() -> list[type[BaseModel]]:
    found = []
    for info in pkgutil.iter_modules(routers.__path__):
        module = importlib.import_module(f"{routers.__name__}.{info.name}")
        found += [model for name, model in vars(module).items() if isinstance(model, type)
                  and issubclass(model, BaseModel) and name.endswith("In") and model.__module__ == module.__name__]
    return found


def test_the_routers_have_request_bodies() -> None:
    assert len(_bodies()) > 30


@pytest.mark.parametrize("model", _bodies(), ids=lambda model: f"{model.__module__.rsplit('.', 1)[1]}.{model.__name__}")
def test_a_request_body_refuses_a_field_it_does_not_know(model: type[BaseModel]) -> None:
    assert model.model_config.get("extra") == "forbid"
    with pytest.raises(ValidationError, match="extra_forbidden|Extra inputs"):
        model.model_validate({"no_such_field": 1})
