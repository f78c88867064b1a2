"""The functions inbound handling and sending call (keywords.match, opt_outs.opt_out/opt_in/is_opted_out),
over a real SQLite store with phone numbers and pools inserted as records (no HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pigeon.common import arns
from pigeon.errors import Invalid
from pigeon.runtime import Runtime
from pigeon.scope import Scope
from pigeon.service import keywords, opt_outs
from pigeon.service.context import Context
from pigeon.settings import Settings
from pigeon.store import resources
from pigeon.store.resources import Record
from tests.support.contexts import runner

SCOPE = Scope("111122223333", "us-east-1")
NUMBER = "+12065550100"


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``run(fn, *args)`` calls ``fn(ctx, *args)`` in one committed write transaction."""
    runtime = Runtime(Settings(data_dir=tmp_path))
    runtime.start()
    yield runner(runtime, SCOPE)
    runtime.close()


def _identity(ctx: Context, resource_type: str, resource_id: str, name: str, data: dict[str, Any] | None = None) -> Record:
    arn = arns.build(ctx.scope, resource_type, resource_id)
    return resources.insert(ctx.tx, ctx.scope, Record(resource_type, resource_id, name, arn, ctx.now, data or {}))


def _put(ctx: Context, identity: str, keyword: str, message: str, action: str | None = None) -> Any:
    params = {"OriginationIdentity": identity, "Keyword": keyword, "KeywordMessage": message}
    return keywords.put_keyword(ctx, {**params, **({"KeywordAction": action} if action else {})})


@pytest.fixture
def pooled_number(run: Callable[..., Any]) -> Record:
    run(_identity, "pool", "pool-1", "pool-1")
    return run(_identity, "phone-number", "phone-1", NUMBER, {"PoolId": "pool-1", "OptOutListName": "Default"})


def test_defaults_match_case_insensitively_as_whole_words(run, pooled_number):
    assert run(keywords.match, pooled_number, "  help me")["KeywordAction"] == "AUTOMATIC_RESPONSE"
    assert run(keywords.match, pooled_number, "Stop.")["Keyword"] == "STOP"
    assert run(keywords.match, pooled_number, "stopping now") is None
    assert run(keywords.match, pooled_number, "hello") is None
    assert run(keywords.match, pooled_number, "   ") is None


def test_required_opt_out_words_answer_with_the_stop_message_in_force(run, pooled_number):
    run(_put, "pool-1", "STOP", "Pool says bye")
    found = run(keywords.match, pooled_number, "unsubscribe please")
    assert found == {"Keyword": "UNSUBSCRIBE", "KeywordAction": "OPT_OUT", "KeywordMessage": "Pool says bye"}
    assert run(keywords.match, pooled_number, "opt-out")["Keyword"] == "OPT-OUT"


def test_pool_keywords_apply_to_its_numbers_and_the_number_wins(run, pooled_number):
    run(_put, "pool-1", "JOIN", "Joined via pool", "OPT_IN")
    assert run(keywords.match, pooled_number, "join")["KeywordMessage"] == "Joined via pool"
    run(_put, "phone-1", "join", "Joined via number", "OPT_IN")
    assert run(keywords.match, pooled_number, "JOIN now")["KeywordMessage"] == "Joined via number"
    run(_put, "pool-1", "HELP", "Pool help")
    assert run(keywords.match, pooled_number, "help")["KeywordMessage"] == "Pool help"


def test_a_number_outside_the_pool_does_not_see_pool_keywords(run, pooled_number):
    loner = run(_identity, "phone-number", "phone-2", "+12065550101")
    run(_put, "pool-1", "JOIN", "Joined", "OPT_IN")
    assert run(keywords.match, loner, "join") is None


def test_longest_keyword_wins(run, pooled_number):
    run(_put, "phone-1", "STOP ALL", "All stopped", "OPT_OUT")
    assert run(keywords.match, pooled_number, "stop   all")["KeywordMessage"] == "All stopped"
    assert run(keywords.match, pooled_number, "stop")["Keyword"] == "STOP"


def test_opt_out_opt_in_round_trip(run):
    assert run(opt_outs.is_opted_out, "Default", NUMBER, writes=False) is False
    entry = run(opt_outs.opt_out, "Default", NUMBER, True)
    assert entry["OptedOutNumber"] == NUMBER and entry["EndUserOptedOut"] is True
    assert run(opt_outs.is_opted_out, "Default", NUMBER[1:], writes=False) is True
    assert run(opt_outs.opt_in, "Default", NUMBER) is True
    assert run(opt_outs.opt_in, "Default", NUMBER) is False
    assert run(opt_outs.is_opted_out, "Default", NUMBER, writes=False) is False


def test_end_user_opt_out_marks_an_existing_entry(run):
    first = run(opt_outs.opt_out, "Default", NUMBER, False)
    again = run(opt_outs.opt_out, "Default", NUMBER, True)
    assert (first["EndUserOptedOut"], again["EndUserOptedOut"]) == (False, True)
    assert again["OptedOutTimestamp"] == first["OptedOutTimestamp"]


def test_is_opted_out_accepts_a_list_arn_and_rejects_a_bad_number(run):
    run(opt_outs.opt_out, "Default", NUMBER, False)
    arn = arns.build(SCOPE, "opt-out-list", "Default")
    assert run(opt_outs.is_opted_out, arn, NUMBER, writes=False) is True
    with pytest.raises(Invalid):
        run(opt_outs.is_opted_out, "Default", "+1234", writes=False)


def test_describe_filters_end_user_opt_outs_in_the_store(run):
    run(opt_outs.opt_out, "Default", NUMBER, True)
    run(opt_outs.opt_out, "Default", "+12065550101", False)

    def described(*values: str) -> list[str]:
        params = {"OptOutListName": "Default", "Filters": [{"Name": "end-user-opted-out", "Values": list(values)}]}
        page = run(opt_outs.describe_opted_out_numbers, params, writes=False)
        return [item["OptedOutNumber"] for item in page["OptedOutNumbers"]]

    assert described("true") == [NUMBER]
    assert described("false") == ["+12065550101"]
    assert described("false", "true") == [NUMBER, "+12065550101"]


def test_start_and_unstop_opt_in_unless_the_number_claims_them(run, pooled_number):
    assert run(keywords.match, pooled_number, "start")["KeywordAction"] == "OPT_IN"
    assert run(keywords.match, pooled_number, "Unstop please")["Keyword"] == "UNSTOP"
    run(_put, "phone-1", "START", "Starting the quiz", "AUTOMATIC_RESPONSE")
    assert run(keywords.match, pooled_number, "start")["KeywordAction"] == "AUTOMATIC_RESPONSE"
