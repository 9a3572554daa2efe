{#-
    The columns together identify a row: none is null and no two rows share them. Kept as columns rather
    than a stored concatenated key, which on the largest tables (entity profiles, 7-day consignee traffic)
    was half their size on disk.
-#}
{% test primary_key(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
    {%- for column in columns %}
    or {{ column }} is null
    {%- endfor %}
{% endtest %}
