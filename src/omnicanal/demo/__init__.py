"""The demo retailer: a French fashion chain, generated the same way for the same seed.

``retailer`` holds the fixed facts (brand, stores, warehouses, product families),
``assortment`` turns a seed into a catalogue and opening stock (pure), and ``generate``
writes them through the modules' service functions, one step per function.
"""
