"""The pages' view-models, one module per page: plain data in and out (datasets, tables), no streamlit, no state."""
