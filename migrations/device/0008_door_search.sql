-- Door search: a few typed letters of a first name, last name or email find a
-- guest with a range scan instead of reading every customer.
CREATE INDEX customers_first_lower ON customers (lower(first_name));
CREATE INDEX customers_last_lower ON customers (lower(last_name));
-- The number printed on a ticket, whatever its product.
CREATE INDEX items_number ON items (item_id);
