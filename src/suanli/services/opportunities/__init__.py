"""The AI opportunity list (机会清单) as use cases: batches prepared, reviewed and published by the bureau;
items imported from and exported to the bureau's sheet; search; matching requests (对接); evaluation of
closed items; a compute-demand item quoted by the broker in one step."""

from suanli.services.opportunities.batches import (
    add_item,
    batch_items,
    create_batch,
    draft_of,
    export_batch,
    get_batch,
    import_items,
    list_batches,
    review_batch,
    submit_batch,
)
from suanli.services.opportunities.board import (
    close_item,
    evaluate_item,
    get_item,
    quote_item,
    search,
    summary,
)
from suanli.services.opportunities.matching import (
    answer_match,
    conclude_match,
    list_matches,
    match_history,
    request_match,
)

__all__ = [
    "add_item",
    "answer_match",
    "batch_items",
    "close_item",
    "conclude_match",
    "create_batch",
    "draft_of",
    "evaluate_item",
    "export_batch",
    "get_batch",
    "get_item",
    "import_items",
    "list_batches",
    "list_matches",
    "match_history",
    "quote_item",
    "request_match",
    "review_batch",
    "search",
    "submit_batch",
    "summary",
]
