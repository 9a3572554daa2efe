"""Daily monitoring of a lane's champion: drift of its inputs and score against its training window,
the day's volumes, and the hit rate of its picks as outcomes return (issue 15)."""
