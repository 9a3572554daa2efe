"""The risk desk: the web application where each office's risk team works its daily list and records
outcomes (``customs-risk desk``). It reads only its own store, which the score stage publishes to."""
