"""One price change to every page and program that holds its symbol: who holds what, one frame per burst."""
