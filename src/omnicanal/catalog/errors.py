from omnicanal.platform.errors import Conflict, InvalidInput, NotFound


class UnknownSku(NotFound):
    code = "unknown_sku"
    title = "Unknown SKU"


class UnknownProduct(NotFound):
    code = "unknown_product"
    title = "Unknown product"


class InvalidGtin(InvalidInput):
    code = "invalid_gtin"
    title = "Invalid GTIN"


class ProductExists(Conflict):
    code = "product_exists"
    title = "A product with this code exists"


class SkuExists(Conflict):
    code = "sku_exists"
    title = "A variant with this SKU or GTIN exists"


class TooManyVariants(Conflict):
    code = "too_many_variants"
    title = "A product holds at most 500 variants"
