"""TradingView's symbol search, asked over HTTP for every page and program at once."""
