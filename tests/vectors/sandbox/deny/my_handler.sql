-- reads around table locks and transaction isolation
HANDLER orders OPEN
