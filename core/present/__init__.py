"""A comparison for people: pure plotly figures, the HTML report, findings in words, ranked lists as HTML."""
