"""HTTP for the bodies: associations and their leaders, councils, the pedagogical council,
commissions and departments, members of any local body, inter-school associations (under a
district cabinet) and sector unions (under the republic cabinet); one module each under
`api.domain.bodies.routes`."""

from __future__ import annotations

from api.domain.bodies.routes.associations import AssociationController
from api.domain.bodies.routes.bodies import BodyController
from api.domain.bodies.routes.councils import CommissionController, CouncilController, PedagogicalCouncilController
from api.domain.bodies.routes.inter_school import InterSchoolController
from api.domain.bodies.routes.unions import UnionController

bodies_controllers = [
    AssociationController,
    CouncilController,
    PedagogicalCouncilController,
    CommissionController,
    BodyController,
    InterSchoolController,
    UnionController,
]
