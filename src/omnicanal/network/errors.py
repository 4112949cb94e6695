from omnicanal.platform.errors import Conflict, NotFound


class UnknownLocation(NotFound):
    code = "unknown_location"
    title = "Unknown location"


class UnknownChannel(NotFound):
    code = "unknown_channel"
    title = "Unknown channel"


class LocationExists(Conflict):
    code = "location_exists"
    title = "A location with this code exists"


class ChannelExists(Conflict):
    code = "channel_exists"
    title = "A channel with this code exists"
