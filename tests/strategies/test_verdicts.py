from tracefix.strategies.ldb.verdicts import parse_prose_verdicts, parse_verdicts


def test_strict_json_list() -> None:
    text = '[{"block": 0, "correct": true, "explanation": "ok"}, {"block": 1, "correct": false, "explanation": "bad"}]'
    parsed = parse_verdicts(text, expected=[0, 1])
    assert parsed.how == "strict"
    assert [(v.block, v.correct) for v in parsed.verdicts] == [(0, True), (1, False)]
    assert [v.explanation for v in parsed.wrong] == ["bad"]


def test_paper_style_lines_with_string_booleans_in_a_fence() -> None:
    text = (
        "```json\n"
        '{"block": "BLOCK-0", "correct": "True", "explanation": "init"}\n'
        '{"block": "BLOCK-1", "correct": "False", "explanation": "off by one"}\n'
        "```"
    )
    parsed = parse_verdicts(text, expected=[0, 1, 2])
    assert parsed.how == "repaired"
    assert [(v.block, v.correct) for v in parsed.verdicts] == [(0, True), (1, False)]
    assert parsed.missing == [2]


def test_trailing_commas_python_literals_and_single_quotes() -> None:
    text = "[{'block': 2, 'correct': False, 'explanation': 'starts at 1',},]"
    parsed = parse_verdicts(text)
    assert parsed.how == "repaired"
    assert parsed.verdicts[0].block == 2 and not parsed.verdicts[0].correct


def test_reply_cut_off_inside_the_second_object_keeps_the_first() -> None:
    text = '[{"block": 0, "correct": false, "explanation": "x"}, {"block": 1, "correct": tr'
    parsed = parse_verdicts(text, expected=[0, 1])
    assert [v.block for v in parsed.verdicts] == [0]
    assert parsed.missing == [1]


def test_broken_object_falls_back_to_field_scan() -> None:
    text = '{"block": 3, "correct": false, "explanation": "uses "x" wrongly"}'
    parsed = parse_verdicts(text)
    assert parsed.verdicts and parsed.verdicts[0].block == 3 and not parsed.verdicts[0].correct


def test_prose_lines() -> None:
    text = "BLOCK 3: wrong - the loop starts at 1 instead of 0\nBlock 4 is correct.\n**Block 5**: OK"
    verdicts = parse_prose_verdicts(text)
    assert [(v.block, v.correct) for v in verdicts] == [(3, False), (4, True), (5, True)]
    assert verdicts[0].explanation == "the loop starts at 1 instead of 0"


def test_nothing_to_parse() -> None:
    parsed = parse_verdicts("The code looks fine to me.", expected=[0])
    assert parsed.how == "none" and parsed.verdicts == [] and parsed.missing == [0]


def test_first_verdict_of_a_block_wins() -> None:
    text = '{"block": 1, "correct": false}\n{"block": 1, "correct": true}'
    assert [v.correct for v in parse_verdicts(text).verdicts] == [False]


def test_wrong_block_format() -> None:
    from tracefix.strategies.ldb.verdicts import parse_wrong_block

    verdict = parse_wrong_block("WRONG BLOCK: 3\nREASON: the loop should start at 0\n```python\n...```")
    assert verdict is not None
    assert (verdict.block, verdict.correct, verdict.explanation) == (3, False, "the loop should start at 0")
    assert parse_wrong_block("**Wrong block**: [BLOCK 2]") is not None
    assert parse_wrong_block("Block 2 looks fine") is None
