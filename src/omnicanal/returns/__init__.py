"""Returns and exchanges: order lines bought on any channel, brought back to any store that
accepts returns or sent by post, inspected, restocked where they are, refunded or exchanged."""
