"""Three hosts, one backend: every Personalize API signs as ``personalize``, so in server
mode all requests reach one app and the path alone tells the APIs apart."""

from .service_models import SERVICES as HOSTS
from .api.control import ControlResponse
from .api.events import EventsResponse
from .api.runtime import RuntimeResponse

url_bases = [rf"https?://{host}\.(.+)\.amazonaws\.com" for host in HOSTS]

EVENTS_PATHS = ("events", "users", "items", "actions", "action-interactions")
RUNTIME_PATHS = ("recommendations", "personalize-ranking", "action-recommendations")

url_paths = {
    "{0}/$": ControlResponse.dispatch,
    **{f"{{0}}/{path}$": EventsResponse.dispatch for path in EVENTS_PATHS},
    **{f"{{0}}/{path}$": RuntimeResponse.dispatch for path in RUNTIME_PATHS},
}
