"""Products (styles) and their variants (SKUs), with GTIN-13 barcodes."""
