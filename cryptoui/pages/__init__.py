"""The pages people look at (/ and /symbol/{SYMBOL}) and their components."""
