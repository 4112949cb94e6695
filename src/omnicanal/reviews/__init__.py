"""Product reviews and ratings: a customer's review of a product (a rating from 1 to 5, a
title, a text) collected from any channel, moderated by head office, averaged per product
and per customer (ADR 0024)."""
