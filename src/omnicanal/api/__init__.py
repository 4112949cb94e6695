"""The HTTP edge: parse, authorise, call one service function, render."""
