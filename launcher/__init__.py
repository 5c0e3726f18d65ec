"""Operations, apart from the runtime: starting, watching and stopping the processes the tracker is made of (an
app node, the replica, Valkey and its sentinels, HAProxy), for `./run.sh cluster`, the tests and the bench."""
