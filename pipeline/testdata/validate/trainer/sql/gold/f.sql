select 1 as x, 0 as y
