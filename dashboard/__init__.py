"""shequ dashboard: the officials' view of the community-standardisation programme (Plotly Dash)."""
