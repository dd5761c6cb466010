# Reference numbers for sql/measure_uplift.sql, run with python3 (standard library only).
# Independent reference numbers for sql/measure_uplift.sql (no scipy):
# normal via math.erfc, t distribution by Simpson integration of its density.
import math
def ncdf(x): return 0.5*math.erfc(-x/math.sqrt(2))
def nq(p):
    lo,hi=-40.0,40.0
    for _ in range(300):
        m=(lo+hi)/2
        if ncdf(m)<p: lo=m
        else: hi=m
    return (lo+hi)/2
def tdens(x,df):
    return math.exp(math.lgamma((df+1)/2)-math.lgamma(df/2))/math.sqrt(df*math.pi)*(1+x*x/df)**(-(df+1)/2)
def tcdf(t,df,n=200000):
    a=abs(t); h=a/n
    s=tdens(0,df)+tdens(a,df)
    for i in range(1,n):
        s+= (4 if i%2 else 2)*tdens(i*h,df)
    half=s*h/3
    return 0.5+half if t>0 else 0.5-half
def tq(p,df):
    lo,hi=0.0,50.0
    for _ in range(60):
        m=(lo+hi)/2
        if tcdf(m,df,20000)<p: lo=m
        else: hi=m
    return (lo+hi)/2
z=nq(0.975)
print("z", z)
# Agresti, Categorical Data Analysis, Physicians' Health Study: placebo 189/11034, aspirin 104/11037
x1,n1,x2,n2=189,11034,104,11037
p1,p2=x1/n1,x2/n2
se=math.sqrt(p1*(1-p1)/n1+p2*(1-p2)/n2)
pp=(x1+x2)/(n1+n2); se0=math.sqrt(pp*(1-pp)*(1/n1+1/n2))
zz=(p1-p2)/se0
sel=math.sqrt((1-p1)/x1+(1-p2)/x2)
rr=p1/p2
print("conv", p1,p2,p1-p2,p1-p2-z*se,p1-p2+z*se, rr-1, math.exp(math.log(rr)-z*sel)-1, math.exp(math.log(rr)+z*sel)-1, 2*(1-ncdf(abs(zz))), (p1-p2)*n1)
# Welch: GMV per person, treated 12 persons (3 without a row = 0), holdout 10 persons
A=[120,0,35.5,80,0,240,60,0,99.9,150,0,0]
B=[40,0,0,75,20,0,0,110,0,30]
def mv(x):
    m=sum(x)/len(x); v=sum((a-m)**2 for a in x)/(len(x)-1); return m,v
m1,v1=mv(A); m2,v2=mv(B)
s1,s2=v1/len(A),v2/len(B)
se=math.sqrt(s1+s2); df=(s1+s2)**2/(s1*s1/(len(A)-1)+s2*s2/(len(B)-1))
t=(m1-m2)/se
tc=tq(0.975,df)
p=2*(1-tcdf(abs(t),df))
sel=math.sqrt(s1/m1**2+s2/m2**2)
print("gmv", m1,m2,m1-m2,m1-m2-tc*se,m1-m2+tc*se, m1/m2-1, math.exp(math.log(m1/m2)-z*sel)-1, math.exp(math.log(m1/m2)+z*sel)-1, p, (m1-m2)*len(A), "df",df,"t",t,"tcrit",tc)
# conversion for the Welch data: converted = gmv > 0
c1=sum(1 for a in A if a>0); c2=sum(1 for b in B if b>0)
print("conv2", c1, len(A), c2, len(B))
tc90=tq(0.95,df)
print("gmv90", m1-m2-tc90*se, m1-m2+tc90*se)
