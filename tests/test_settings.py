"""Each option is declared once (settings.py): its flag, variable, check, --help line and README row agree."""
from __future__ import annotations

from pathlib import Path

import pytest

from settings import Settings, options, parse_settings, readme_table

README = Path(__file__).resolve().parents[1] / 'README.md'


def test_the_readme_options_table_is_the_one_the_declarations_make():
    assert readme_table() in README.read_text(), f'paste this over the README\'s Options table:\n{readme_table()}'


def test_every_option_has_a_help_line_naming_its_default_and_variable(capsys):
    with pytest.raises(SystemExit):
        parse_settings(['--help'], {})
    shown = ' '.join(capsys.readouterr().out.split())
    for _, _, declared in options():
        if not declared.hidden:
            assert declared.flag in shown and f'env {declared.env}' in shown


@pytest.mark.parametrize(('name', 'default', 'declared'), options())
def test_each_option_comes_from_its_flag_or_its_variable_and_the_flag_wins(name, default, declared):
    if isinstance(default, bool):
        assert getattr(parse_settings([declared.flag], {}), name) is True
        assert getattr(parse_settings([], {declared.env: '1'}), name) is True
        return
    value = {int: '7', float: '2.5'}.get(type(default), 'n2')
    if name in {'tradingview_url', 'symbol_search_url'}:
        value = 'http://127.0.0.1:9/x/'
    elif name == 'redis_sentinels':
        value = '127.0.0.1:26379'
    elif name == 'exchange':
        value = 'KRAKEN'
    elif name == 'poll_interval':
        value = '2.5'
    from_env = getattr(parse_settings([], {declared.env: value}), name)
    from_flag = getattr(parse_settings([declared.flag, value], {declared.env: value}), name)
    assert from_env == from_flag != default
    assert getattr(parse_settings([], {}), name) == getattr(Settings(), name)
