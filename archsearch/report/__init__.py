"""Reports of a run directory: pandas tables, Pareto fronts, the offline plotly dashboard
(`dashboard.write_dashboard`) and the local server over a folder of runs (`server.DashboardServer`)."""
